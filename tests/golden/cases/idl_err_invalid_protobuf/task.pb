this is not a protobuf ÿÿÿ
