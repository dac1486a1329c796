import { writeFile } from "node:fs/promises";
import path from "node:path";
import { run } from "./harness";

/** An image file a caller might offer, the format it claims, and what in the refusal says why. */
export interface OfferedFile {
  kind: string;
  file: string;
  format: "raw" | "qcow2";
  refusal: RegExp;
  /** Refused only when declared `format`: as raw it is plain data, which is what raw means. */
  onlyAsDeclared?: true;
}

/** What hostile images name: a host file (a FIFO tripwire), a Unix socket and a TCP listener (socket tripwires). */
export interface Targets {
  hostFile: string;
  nbdSocket: string;
  httpPort: number;
}

/**
 * qcow2 images naming something outside themselves, made as an attacker would, with qemu-img (`-u`: without
 * opening what they name). Backing files in every spelling qemu understands, and external data files.
 */
export async function referencingImages(dir: string, t: Targets): Promise<OfferedFile[]> {
  const backing: Array<[string, string]> = [
    ["backing file: host path", t.hostFile],
    ["backing file: file: protocol", `file:${t.hostFile}`],
    ["backing file: json:", `json:{"driver":"file","filename":"${t.hostFile}"}`],
    ["backing file: nbd:", `nbd+unix:///?socket=${t.nbdSocket}`],
    ["backing file: http:", `http://127.0.0.1:${t.httpPort}/disk.raw`],
    ["backing file: rbd:", "rbd:rbd/img~other~golden"],
  ];
  const out: OfferedFile[] = [];
  for (const [i, [kind, name]] of backing.entries()) {
    const file = path.join(dir, `backing-${i}.qcow2`);
    await run("qemu-img", ["create", "-q", "-f", "qcow2", "-u", "-b", name, "-F", "raw", file, "8M"]);
    out.push({ kind, file, format: "qcow2", refusal: /backing file/ });
  }
  const dataFiles: Array<[string, string]> = [
    ["data file: host path", t.hostFile],
    // Commas inside a -o value are doubled.
    ["data file: json:", `json:{"driver":"file",,"filename":"${t.hostFile}"}`],
    ["data file: nbd:", `nbd+unix:///?socket=${t.nbdSocket}`],
  ];
  for (const [i, [kind, name]] of dataFiles.entries()) {
    const file = path.join(dir, `data-file-${i}.qcow2`);
    const scratch = path.join(dir, `data-file-${i}.scratch`);
    // qemu-img creates a data file it is given, so the image gets a scratch one and is pointed elsewhere after.
    await run("qemu-img", ["create", "-q", "-f", "qcow2", "-o", `data_file=${scratch}`, file, "8M"]);
    await run("qemu-img", ["amend", "-f", "qcow2", "-o", `data_file=${name}`, file]);
    out.push({ kind, file, format: "qcow2", refusal: /data file/ });
  }
  return out;
}

/** Images in formats BMI does not take, and headers that only pretend to be qcow2. */
export async function foreignImages(dir: string, t: Targets): Promise<OfferedFile[]> {
  const out: OfferedFile[] = [];
  for (const fmt of ["vmdk", "vdi", "vhdx", "vpc", "qed"]) {
    const file = path.join(dir, `foreign.${fmt}`);
    await run("qemu-img", ["create", "-q", "-f", fmt, file, "8M"]);
    out.push({ kind: fmt, file, format: "raw", refusal: new RegExp(`format ${fmt} is not accepted`) });
  }
  // A vmdk descriptor is text whose extent lines name other files: the host file here.
  const descriptor = path.join(dir, "descriptor.vmdk");
  await writeFile(descriptor, [
    "# Disk DescriptorFile", "version=1", "CID=fffffffe", "parentCID=ffffffff", 'createType="monolithicFlat"', "",
    `RW 16384 FLAT "${t.hostFile}" 0`, "",
  ].join("\n"));
  out.push({ kind: "vmdk descriptor naming the host file", file: descriptor, format: "raw", refusal: /format vmdk is not accepted/ });
  const future = Buffer.alloc(1 << 16);
  future.write("QFI\xfb", 0, "latin1");
  future.writeUInt32BE(9, 4);
  future.writeUInt32BE(16, 20);
  await writeFile(path.join(dir, "version-9.qcow2"), future);
  out.push({ kind: "qcow2 header of version 9", file: path.join(dir, "version-9.qcow2"), format: "qcow2", refusal: /version 9/ });
  const madeUp = Buffer.alloc(1 << 16, 0x5a);
  madeUp.write("BMI!", 0, "latin1");
  await writeFile(path.join(dir, "made-up.qcow2"), madeUp);
  out.push({ kind: "made-up header declared qcow2", file: path.join(dir, "made-up.qcow2"), format: "qcow2", refusal: /not a qcow2/, onlyAsDeclared: true });
  return out;
}
