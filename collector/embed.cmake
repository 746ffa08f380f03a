# embed.cmake: turns the dashboard HTML into a C array at build time, so the
# collector serves it without reading files. Run with -DIN=... -DOUT=...
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR n "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" body "${body}")
file(WRITE "${OUT}" "/* Generated from collector/dashboard.html by embed.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "const unsigned char col_dashboard_html[] = {\n${body}0x00};\n"
  "const size_t col_dashboard_html_len = ${n};\n")
