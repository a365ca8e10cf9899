/* The dashboard's page, built into the binary (see ui.c): our own
 * src/cli/ui/ files and the pinned xterm.js of src/cli/ui/vendor/ (paths
 * from the top of the tree, where make runs).  Each file ends with a NUL
 * that is not counted. */
#define ASSET(name, file)                 \
	.section .rodata;                 \
	.balign 16;                       \
	.global ui_asset_##name##_start;  \
	.global ui_asset_##name##_end;    \
	ui_asset_##name##_start:          \
	.incbin file;                  \
	ui_asset_##name##_end:            \
	.byte 0

ASSET(index_html, "src/cli/ui/index.html")
ASSET(app_js, "src/cli/ui/app.js")
ASSET(app_css, "src/cli/ui/app.css")
ASSET(xterm_js, "src/cli/ui/vendor/xterm.js")
ASSET(xterm_css, "src/cli/ui/vendor/xterm.css")
ASSET(fit_js, "src/cli/ui/vendor/xterm-addon-fit.js")

	.section .note.GNU-stack,"",@progbits
