// Test support (not a test): the disk of a VM that keeps reading it, for store-loss.test.ts.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

// Reads its own disk through the BIOS (iPXE's int13 SAN hook, so every read is an iSCSI READ) for `seconds` of BIOS
// ticks: one '.' per 64 reads, sector 0's signature checked on every pass over LBA 0. Ends QEMU through
// isa-debug-exit: 99 after READ-LOOP-DONE, 97 after READ-ERROR or DATA-ERROR.
const SOURCE = `
bits 16
org 0x7c00
    xor ax, ax
    mov ds, ax
    mov [drive], dl
    mov ss, ax              ; the next instruction runs before any interrupt
    mov sp, 0x7c00
    sti                     ; iPXE's int13 over the network needs interrupts
    mov si, start_msg
    call puts
    mov ax, [0x046C]
    mov [t0], ax
    xor bp, bp
.loop:
    mov ax, bp
    and ax, 0x7ff
    mov [dap + 8], ax
    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    jc .read_error
    cmp word [dap + 8], 0
    jne .counted
    cmp word [0x8000 + 510], 0xAA55
    jne .data_error
.counted:
    inc bp
    test bp, 0x3f
    jnz .loop
    mov si, dot
    call puts
    mov ax, [0x046C]
    sub ax, [t0]
    cmp ax, SECONDS * 18
    jb .loop
    mov si, done_msg
    mov cl, 0x31
    jmp .exit
.read_error:
    mov si, read_error
    mov cl, 0x30
    jmp .exit
.data_error:
    mov si, data_error
    mov cl, 0x30
.exit:
    call puts
    mov al, cl
    out 0xf4, al
.halt:
    hlt
    jmp .halt
puts:                       ; BIOS teletype: SeaBIOS's serial console (bootVm turns it on) copies it to the log
    lodsb
    test al, al
    jz .ret
    mov ah, 0x0e
    mov bx, 7
    int 0x10
    jmp puts
.ret:
    ret
dap:        db 16, 0
            dw 1, 0x8000, 0
            dq 0
drive:      db 0
t0:         dw 0
start_msg:  db 13, 10, "READ-LOOP-START", 13, 10, 0
; SeaBIOS's serial console holds back the last few characters: the spaces may be lost, not the words.
done_msg:   db 13, 10, "READ-LOOP-DONE    ", 13, 10, 0
read_error: db 13, 10, "READ-ERROR    ", 13, 10, 0
data_error: db 13, 10, "DATA-ERROR    ", 13, 10, 0
dot:        db ".", 0
times 510-($-$$) db 0
dw 0xAA55
`;

/**
 * A 17 MiB raw disk (iPXE's BIOS int13 needs more than ~8 MB of geometry) whose boot sector keeps reading the disk
 * for `seconds`: a booted node's steady I/O, to watch while its store is lost.
 */
export async function buildReaderDisk(dir: string, seconds: number): Promise<string> {
  const asm = path.join(dir, "reader.asm");
  const bin = path.join(dir, "reader.bin");
  writeFileSync(asm, SOURCE);
  await run("nasm", ["-f", "bin", `-DSECONDS=${seconds}`, "-o", bin, asm]);
  const disk = Buffer.alloc(17 << 20);
  readFileSync(bin).copy(disk, 0);
  const file = path.join(dir, "reader.img");
  writeFileSync(file, disk);
  return file;
}
