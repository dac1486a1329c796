; BMI test boot sector: prints MARK and whether an iBFT is present to COM1, then ends QEMU with exit status 99
; through isa-debug-exit. Booted through iPXE's sanboot, it proves the VM read its disk over iSCSI; the iBFT
; line proves the SAN boot was described for the OS (what keep-san is for). Build: nasm -f bin -DMARK='"..."'.
bits 16
org 0x7c00
start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    mov dx, 0x3FB           ; COM1 115200 8N1: DLAB on, divisor 1, DLAB off
    mov al, 0x80
    out dx, al
    mov dx, 0x3F8
    mov al, 1
    out dx, al
    mov dx, 0x3F9
    xor al, al
    out dx, al
    mov dx, 0x3FB
    mov al, 0x03
    out dx, al
    mov si, msg
    call puts
    ; The iBFT spec has the OS scan 512 KiB..1 MiB on 16-byte boundaries for "iBFT" with a zero byte sum.
    mov bx, 0x8000
.scan:
    mov es, bx
    cmp dword [es:0], 'iBFT'
    jne .next
    mov cx, [es:4]          ; table length
    xor di, di
    xor al, al
.sum:
    add al, [es:di]
    inc di
    loop .sum
    test al, al
    jz .found
.next:
    inc bx
    jnz .scan
    mov si, no_ibft
    jmp .report
.found:
    mov si, ibft
.report:
    call puts
    mov al, 0x31            ; isa-debug-exit: QEMU exit status (0x31 << 1) | 1 = 99
    out 0xf4, al
.halt:
    hlt
    jmp .halt

puts:
    lodsb
    test al, al
    jz .ret
    mov bl, al
    mov dx, 0x3FD
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, 0x3F8
    mov al, bl
    out dx, al
    jmp puts
.ret:
    ret

%ifndef MARK
%define MARK "BMI-BOOT-MARKER"
%endif
msg:     db 13, 10, MARK, " OK (booted from iSCSI)", 13, 10, 0
ibft:    db "iBFT: present", 13, 10, 0
no_ibft: db "iBFT: absent", 13, 10, 0
times 510-($-$$) db 0
dw 0xAA55
