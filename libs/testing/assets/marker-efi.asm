; BMI test UEFI application (x86-64 PE32+, written out by hand: no EFI toolchain needed): prints MARK to COM1,
; which the firmware has already set up, then ends QEMU with exit status 99 through isa-debug-exit. Put on a
; disk's EFI system partition as \EFI\BOOT\BOOTX64.EFI, it proves a UEFI sanboot started a loader from the disk.
; Build: nasm -f bin -DMARK='"..."'. Position independent, so it needs no relocations wherever it is loaded.
bits 64
org 0
mz:     db "MZ"
        times 0x3c-($-$$) db 0
        dd pe                           ; e_lfanew
pe:     db "PE", 0, 0
        dw 0x8664                       ; machine: x86-64
        dw 1                            ; sections
        dd 0, 0, 0                      ; time stamp, symbol table, symbols
        dw opt_end - opt                ; optional header size
        dw 0x0022                       ; executable, large address aware
opt:    dw 0x020b                       ; PE32+
        db 0, 0                         ; linker version
        dd 0x200, 0, 0                  ; code, initialized, uninitialized data sizes
        dd 0x1000, 0x1000               ; entry point, base of code (RVAs)
        dq 0x400000                     ; image base
        dd 0x1000, 0x200                ; section and file alignment
        dw 0, 0, 0, 0, 0, 0             ; OS, image, subsystem versions
        dd 0                            ; win32 version
        dd 0x2000, 0x200                ; image size, headers size
        dd 0                            ; checksum
        dw 10                           ; subsystem: EFI application
        dw 0                            ; DLL characteristics
        dq 0x10000, 0x10000, 0, 0       ; stack reserve/commit, heap reserve/commit
        dd 0                            ; loader flags
        dd 16                           ; data directories, all empty
        times 16 dq 0
opt_end:
        db ".text", 0, 0, 0
        dd 0x200, 0x1000                ; virtual size, address
        dd 0x200, 0x200                 ; raw size, file offset
        dd 0, 0, 0                      ; relocations, line numbers, counts
        dd 0x60000020                   ; code, executable, readable
        times 0x200-($-$$) db 0

entry:  lea rsi, [rel msg]
.next:  lodsb
        test al, al
        jz .done
        mov bl, al
        mov dx, 0x3FD
.wait:  in al, dx
        test al, 0x20
        jz .wait
        mov dx, 0x3F8
        mov al, bl
        out dx, al
        jmp .next
.done:  mov al, 0x31                    ; QEMU exit status (0x31 << 1) | 1 = 99
        out 0xf4, al
.halt:  hlt
        jmp .halt
%ifndef MARK
%define MARK "BMI-BOOT-MARKER"
%endif
msg:    db 13, 10, MARK, " OK (booted from iSCSI)", 13, 10, "UEFI loader from the EFI system partition", 13, 10, 0
        times 0x400-($-$$) db 0
