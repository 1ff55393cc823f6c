-- A real LSP client nobody here wrote: Neovim's built-in one, run headless by tests/integration/lsp_nvim_test.sh.
-- It opens a broken spec, waits for the diagnostics, asks for completion and definition, fixes the spec with an
-- edit, waits for the diagnostics to clear, asks for hover, and writes what it saw to $RESULT, one fact a line.
local root, flytec, result = os.getenv("WS"), os.getenv("FLYTEC"), os.getenv("RESULT")
local out = assert(io.open(result, "w"))
local function log(s) out:write(s .. "\n"); out:flush() end

local id = vim.lsp.start_client({ cmd = { flytec, "lsp" }, root_dir = root, name = "flytec" })
vim.cmd("edit " .. root .. "/pipe.yaml")
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, id)
local client = vim.lsp.get_client_by_id(id)
local uri = vim.uri_from_bufnr(buf)

local got = vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
log("diagnostics_arrived " .. tostring(got))
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  log(string.format("diag %s %d:%d-%d:%d", code, d.lnum, d.col, d.end_lnum, d.end_col))
end

-- completion at the start of the task name of node 'b' (line 12, 0-based 11)
local r = client.request_sync("textDocument/completion",
  { textDocument = { uri = uri }, position = { line = 11, character = 24 } }, 10000, buf)
local labels = {}
for _, item in ipairs((r and r.result and (r.result.items or r.result)) or {}) do labels[item.label] = true end
log("completion_inc " .. tostring(labels["inc"] == true))
log("completion_node " .. tostring(labels["a"] == true))
log("completion_key " .. tostring(labels["retries"] == true))

-- definition of 'inc' in "task: inc" of node b
r = client.request_sync("textDocument/definition",
  { textDocument = { uri = uri }, position = { line = 11, character = 25 } }, 10000, buf)
local loc = r and r.result and (r.result[1] or r.result)
if loc and loc.range then
  log(string.format("definition %s %d:%d", loc.uri:match("[^/]*$"), loc.range.start.line, loc.range.start.character))
else
  log("definition none")
end

-- fix the misspelt key with an edit; the diagnostics must clear
vim.api.nvim_buf_set_lines(buf, 5, 6, false, { "    retries: 3" })
got = vim.wait(15000, function() return #vim.diagnostic.get(buf) == 0 end, 50)
log("cleared " .. tostring(got))

-- hover on 'inc' now that the workspace compiles: the task's interface
r = client.request_sync("textDocument/hover",
  { textDocument = { uri = uri }, position = { line = 11, character = 25 } }, 10000, buf)
local value = r and r.result and r.result.contents and r.result.contents.value or ""
log("hover_task " .. tostring(value:find("task flytesnacks/development/inc", 1, true) ~= nil))
log("hover_interface " .. tostring(value:find("x: integer", 1, true) ~= nil))

-- hover on the cron line: next fire times
r = client.request_sync("textDocument/hover",
  { textDocument = { uri = uri }, position = { line = 16, character = 20 } }, 10000, buf)
value = r and r.result and r.result.contents and r.result.contents.value or ""
log("hover_cron " .. tostring(value:find("next fire times", 1, true) ~= nil))

r = client.request_sync("textDocument/documentSymbol", { textDocument = { uri = uri } }, 10000, buf)
local names = {}
for _, s in ipairs((r and r.result) or {}) do names[#names + 1] = s.name end
log("symbols " .. table.concat(names, ","))
log("done")
client.stop()
vim.cmd("qa!")
