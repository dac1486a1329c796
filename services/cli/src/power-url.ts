import { PowerSpec } from "@bmi/proto/bmi/haas/v1/haas";
import { UsageError } from "./exit-codes";

/**
 * --power values: ipmi://user:password@host, qemu:///path/to/qmp.sock, or obmd+http(s)://host/node/NAME#admin-token
 * (HIL's OBM daemon). Credentials in the URL are percent-decoded.
 */
export function parsePower(value: string): PowerSpec {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`--power ${value}: not a URL (ipmi://user:pass@host, qemu:///path/qmp.sock, obmd+http://...)`);
  }
  switch (u.protocol) {
    case "ipmi:":
      if (!u.hostname) throw new UsageError(`--power ${value}: no host`);
      return PowerSpec.fromPartial({ ipmi: { host: u.host, user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } });
    case "qemu:": {
      const path = decodeURIComponent(u.pathname);
      if (u.host || !path.startsWith("/")) throw new UsageError(`--power ${value}: use qemu:///absolute/path/qmp.sock`);
      return PowerSpec.fromPartial({ qemu: { qmpSocket: path } });
    }
    case "obmd+http:":
    case "obmd+https:": {
      const token = decodeURIComponent(u.hash.replace(/^#/, ""));
      u.hash = "";
      return PowerSpec.fromPartial({ obmd: { uri: u.toString().replace(/^obmd\+/, ""), adminToken: token } });
    }
    default:
      throw new UsageError(`--power ${value}: unknown scheme ${u.protocol} (ipmi, qemu, obmd+http)`);
  }
}
