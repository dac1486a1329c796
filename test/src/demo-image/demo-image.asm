; BMI demo image: a BIOS boot sector (LBA 0) plus one data sector (LBA 1) holding a marker and a boot counter.
; At boot it reads LBA 1 through int 13h (iPXE's sanboot hooks int 13h and sends it to the iSCSI LUN), prints
;   BMI-DEMO marker=<MARKER> counter=<N>
; on COM1, writes N+1 back to LBA 1, reads it again to prove the write reached the disk, prints
;   BMI-DEMO saved counter=<N+1>
; and ends QEMU through isa-debug-exit with status 99 (0x31). Any failure prints "BMI-DEMO error <what> ah=<hex>"
; and exits with status 101 (0x32), so a test never has to wait for its deadline to see a broken disk.
; Build: nasm -f bin -DMARKER='"name"' -DCOUNTER=0 -o out.bin demo-image.asm (1024 bytes; pad to the disk size).
bits 16
org 0x7c00

DATA    equ 0x7e00                  ; the data sector is read right after the boot sector
VERIFY  equ 0x8000                  ; read-back buffer

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    cld
    mov [drive], dl                 ; the BIOS (here: iPXE) passes the boot drive in DL
    call serial_init

    mov bx, DATA
    mov ah, 0x02
    call disk_io
    mov si, e_read
    jc fail
    mov si, DATA
    mov di, magic
    mov cx, magic_len
    repe cmpsb
    mov si, e_magic
    jne fail

    mov si, s_marker
    call puts
    mov si, DATA + d_marker - data
    call puts
    mov si, s_counter
    call puts
    mov eax, [DATA + d_counter - data]
    call putdec
    mov si, crlf
    call puts

    inc dword [DATA + d_counter - data]
    mov bx, DATA
    mov ah, 0x03
    call disk_io
    mov si, e_write
    jc fail
    mov bx, VERIFY
    mov ah, 0x02
    call disk_io
    mov si, e_verify
    jc fail
    mov eax, [VERIFY + d_counter - data]
    cmp eax, [DATA + d_counter - data]
    mov si, e_verify
    jne fail
    mov si, s_saved
    call puts
    mov eax, [VERIFY + d_counter - data]
    call putdec
    mov si, crlf
    call puts
    mov al, 0x31                    ; QEMU exit status (0x31 << 1) | 1 = 99
    jmp exit

fail:                               ; SI: what failed; AH: the BIOS status
    push ax
    call puts
    mov si, s_ah
    call puts
    pop ax
    mov al, ah
    call puthex
    mov si, crlf
    call puts
    mov al, 0x32                    ; status 101
exit:
    out 0xf4, al
.halt:
    hlt
    jmp .halt

; One sector at LBA 1 (cylinder 0, head 0, sector 2) to/from ES:BX; AH = 02h read or 03h write. CF on error.
; Retried three times: real disks (and the first command after iPXE's SAN login) may need it.
disk_io:
    mov bp, 3
.try:
    push ax
    mov al, 1
    mov cx, 0x0002
    xor dh, dh
    mov dl, [drive]
    int 0x13
    jnc .ok
    mov [status], ah
    pop ax
    dec bp
    jz .err
    push ax
    xor ah, ah                      ; reset the drive before retrying
    mov dl, [drive]
    int 0x13
    pop ax
    jmp .try
.ok:
    pop ax
    ret
.err:
    mov ah, [status]
    stc
    ret

serial_init:                        ; COM1 115200 8N1: DLAB on, divisor 1, DLAB off
    mov dx, 0x3FB
    mov al, 0x80
    out dx, al
    mov dx, 0x3F8
    mov al, 1
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, 0x3FB
    mov al, 0x03
    out dx, al
    ret

putc:                               ; AL
    push dx
    push ax
    mov dx, 0x3FD
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, 0x3F8
    out dx, al
    pop dx
    ret

puts:                               ; DS:SI, NUL-terminated
    lodsb
    test al, al
    jz .ret
    call putc
    jmp puts
.ret:
    ret

putdec:                             ; EAX unsigned, in decimal
    mov ecx, 10
    xor bx, bx
.div:
    xor edx, edx
    div ecx
    push dx
    inc bx
    test eax, eax
    jnz .div
.out:
    pop ax
    add al, '0'
    call putc
    dec bx
    jnz .out
    ret

puthex:                             ; AL as two hex digits
    push ax
    shr al, 4
    call .nib
    pop ax
.nib:
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .p
    add al, 'A' - '9' - 1
.p:
    jmp putc

drive:     db 0
status:    db 0
magic:     db "BMIDEMO1"
magic_len  equ $ - magic
s_marker:  db 13, 10, "BMI-DEMO marker=", 0
s_counter: db " counter=", 0
s_saved:   db "BMI-DEMO saved counter=", 0
s_ah:      db " ah=", 0
crlf:      db 13, 10, 0
e_read:    db "BMI-DEMO error read", 0
e_magic:   db "BMI-DEMO error no demo data", 0
e_write:   db "BMI-DEMO error write", 0
e_verify:  db "BMI-DEMO error verify", 0
times 510-($-$$) db 0
dw 0xAA55

%ifndef MARKER
%define MARKER "bmi-demo"
%endif
%ifndef COUNTER
%define COUNTER 0
%endif
; LBA 1. The builder (demo-image.ts) and the reader (readDemoData) rely on this layout.
data:
    db "BMIDEMO1"                   ; magic, 8 bytes
d_counter:
    dd COUNTER                      ; offset 8, uint32 little-endian
d_marker:
    db MARKER, 0                    ; offset 12, NUL-terminated, at most 63 characters
times 1024-($-$$) db 0
