import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseAccounts, parseConnections, parsePortals, parseSessions, parseTargets } from "./tgt-show";

// As tgt 1.0.85 prints it, with one live session on target 1 and an rbd LUN on target 2.
const SHOW = `Target 1: iqn.2026-01.org.example.bmi:p1.d1
    System information:
        Driver: iscsi
        State: ready
    I_T nexus information:
        I_T nexus: 3
            Initiator: iqn.2026-01.org.example:n1 alias: none
            Connection: 0
                IP Address: 10.0.0.5
    LUN information:
        LUN: 0
            Type: controller
            Backing store type: null
            Backing store path: None
        LUN: 1
            Type: disk
            Backing store type: rdwr
            Backing store path: /var/lib/bmi/disks/d1.raw
            Backing store flags: 
    Account information:
        bmi-0123456789abcdef0123
        out-user (outgoing)
    ACL information:
        iqn.2026-01.org.example:n1
Target 2: iqn.2026-01.org.example.bmi:p1.d2
    System information:
        Driver: iscsi
        State: ready
    I_T nexus information:
    LUN information:
        LUN: 0
            Backing store type: null
            Backing store path: None
        LUN: 1
            Backing store type: rbd
            Backing store path: rbd/d2
    Account information:
    ACL information:
`;

describe("tgtadm output parsing", () => {
  it("reads targets, sessions, LUN 1's backing, accounts and ACL", () => {
    assert.deepEqual(parseTargets(SHOW), [
      { tid: 1, iqn: "iqn.2026-01.org.example.bmi:p1.d1", sessions: 1, lun1: { type: "rdwr", path: "/var/lib/bmi/disks/d1.raw" },
        accounts: ["bmi-0123456789abcdef0123"], outgoing: ["out-user"], initiators: ["iqn.2026-01.org.example:n1"] },
      { tid: 2, iqn: "iqn.2026-01.org.example.bmi:p1.d2", sessions: 0, lun1: { type: "rbd", path: "rbd/d2" }, accounts: [], initiators: [] },
    ]);
    assert.deepEqual(parseTargets(""), []);
  });

  it("reads the account and portal lists", () => {
    assert.deepEqual(parseAccounts("Account list:\n    bmi-a\n    bmi-b\n"), ["bmi-a", "bmi-b"]);
    assert.deepEqual(parseAccounts("Account list:\n"), []);
    assert.deepEqual(parsePortals("Portal: 127.0.0.1:3260,1\nPortal: [::]:3260,1\n"), ["127.0.0.1:3260", "[::]:3260"]);
  });

  it("parses a target's sessions and their connections (conn show --tid), which a busy delete closes one by one", () => {
    const text = [
      "Session: 3", "    Connection: 0", "        Initiator: iqn.2026-01.org.example:n1", "        IP Address: 10.0.0.5",
      "Session: 7", "    Connection: 0", "        Initiator: iqn.2026-01.org.example:n1", "    Connection: 1",
      "        IP Address: 10.0.0.5", "",
    ].join("\n");
    assert.deepEqual(parseConnections(text), [{ sid: "3", cid: "0" }, { sid: "7", cid: "0" }, { sid: "7", cid: "1" }]);
    assert.equal(parseSessions(text), 2);
    assert.deepEqual(parseConnections(""), []);
  });
});
