/* Functions that are easy to misuse: use fc_buf, snprintf, strtok_r, gmtime_r, localtime_r instead. */
#ifndef FC_BANNED_H
#define FC_BANNED_H

#define FC_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) FC_BANNED(strcpy)
#undef strcat
#define strcat(x, y) FC_BANNED(strcat)
#undef sprintf
#define sprintf(...) FC_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) FC_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) FC_BANNED(strtok)
#undef gmtime
#define gmtime(t) FC_BANNED(gmtime)
#undef localtime
#define localtime(t) FC_BANNED(localtime)

#endif
