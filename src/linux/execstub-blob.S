/* The exec stub's binary (src/linux/stub/execstub.c, built by the Makefile
 * into $(BUILD)/execstub.bin), embedded read-only in the runtime. */
	.section .rodata
	.balign 16
	.global pd_execstub_start
	.global pd_execstub_end
pd_execstub_start:
	.incbin EXECSTUB_BIN
pd_execstub_end:
	.section .note.GNU-stack,"",@progbits
