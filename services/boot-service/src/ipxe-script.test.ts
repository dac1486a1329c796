import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { BootConfig } from "./boot-config";
import { sample } from "./testkit/support";
import { genericScript, nodeScript } from "./ipxe-script";

const opts = { baseUrl: "http://10.0.0.9:8080", attempts: 3, retryDelaySeconds: 5 };

describe("iPXE scripts", () => {
  it("the generic script fetches the NIC's own script by ${mac:hexhyp} and exits when there is none", () => {
    const s = genericScript("http://10.0.0.9:8080");
    assert.match(s, /^#!ipxe\n/);
    assert.match(s, /imgfetch --name bmi-node http:\/\/10\.0\.0\.9:8080\/nodes\/\$\{mac:hexhyp\}\.ipxe \|\| goto bmi-unknown/);
    assert.match(s, /:bmi-unknown\n.*\nexit 1\n$/);
  });

  it("a node script logs in with its initiator IQN and CHAP, keeps the SAN and lists every portal, LUN 1", () => {
    const s = nodeScript(sample(), "52:54:00:00:00:02", opts);
    assert.match(s, /^set initiator-iqn iqn\.2026-01\.org\.example:n1$/m);
    assert.match(s, /^set username bmi-0123$/m);
    assert.match(s, /^set password abcdefABCDEF0123-_xy$/m);
    assert.match(s, /^set keep-san 1$/m);
    const uris = "iscsi:10.0.0.1::3260:1:iqn.2026-01.org.example.bmi:p1.d1 iscsi:10.0.1.1::3261:1:iqn.2026-01.org.example.bmi:p1.d1";
    assert.match(s, new RegExp(`^sanboot --drive 0x80 --keep ${uris} \\|\\| goto bmi-failed$`, "m"));
    assert.match(s, new RegExp(`^sanboot --drive 0x80 --keep --filename \\\\EFI\\\\BOOT\\\\BOOTX64\\.EFI ${uris} \\|\\| goto bmi-failed$`, "m"));
    assert.match(s, /^iseq \$\{platform\} efi && goto bmi-efi \|\|$/m);
  });

  it("calls back before each attempt and after each failure, retries, then exits; never a shell", () => {
    const s = nodeScript(sample(), "52:54:00:00:00:02", opts);
    const attempted = s.indexOf("/nodes/52-54-00-00-00-02/phase/attempted?attempt=${bmi-attempt}");
    assert.ok(attempted > 0 && attempted < s.indexOf("sanboot --drive"));
    assert.match(s, /\/nodes\/52-54-00-00-00-02\/phase\/failed\?attempt=\$\{bmi-attempt\}/);
    assert.match(s, /^:bmi-failed\nset keep-san 0\nsanunhook --drive 0x80 \|\|\nset keep-san 1$/m);
    assert.match(s, /^iseq \$\{bmi-attempt\} 3 && goto bmi-exit \|\|$/m);
    assert.match(s, /^sleep 5\ngoto bmi-try$/m);
    assert.match(s, /:bmi-exit\n.*\nexit 1\n$/);
    assert.doesNotMatch(s, /\bshell\b/);
  });

  it("uses the configured EFI loader and masks the secret when asked", () => {
    const s = nodeScript(sample({ efiLoader: "\\EFI\\debian\\shimx64.efi" }), "52:54:00:00:00:01", { ...opts, maskSecret: true });
    assert.match(s, /--filename \\EFI\\debian\\shimx64\.efi /);
    assert.match(s, /^set password \*{8}$/m);
    assert.doesNotMatch(s, /abcdefABCDEF/);
  });

  it("refuses configs whose fields could break a script line", () => {
    const bad: Array<[Partial<BootConfig>, RegExp]> = [
      [{ chap: { user: "u", secret: "has space in it" } }, /CHAP secret/],
      [{ chap: { user: "u", secret: "${evil}-long-enough" } }, /CHAP secret/],
      [{ chap: { user: "", secret: "abcdefABCDEF0123" } }, /CHAP user/],
      [{ target: { iqn: "iqn.2026-01.org.example.bmi:p1.d1", portals: ["10.0.0.1"], lun: 1 } }, /not host:port/],
      [{ target: { iqn: "iqn.2026-01.org.example.bmi:p1.d1", portals: [], lun: 1 } }, /at least one portal/],
      [{ target: { iqn: "nope", portals: ["a:1"], lun: 1 } }, /not a valid IQN/],
      [{ macs: ["52:54:00:00:00"] }, /MAC address/],
      [{ macs: [] }, /at least one MAC/],
      [{ efiLoader: "/EFI/boot.efi" }, /EFI loader/],
      [{ node: "Node 1" }, /node name/],
    ];
    for (const [over, msg] of bad) assert.throws(() => sample(over), { code: "INVALID_ARGUMENT", message: msg });
    assert.deepEqual(sample().macs, ["52:54:00:00:00:01", "52:54:00:00:00:02"]);
    assert.equal(sample().target.lun, 1);
  });
});
