import { randomBytes } from "node:crypto";

/**
 * A target's CHAP secret: 144 random bits as 24 base64url characters, longer than the 12 bytes RFC 3720 asks for,
 * and free of the characters that tgtadm (',', '='), iPXE scripts (spaces, '$') and iscsi:// URLs ('%', '@') treat
 * specially. (The CHAP user names, derived from a target's names, are in naming.ts.)
 */
export function chapSecret(): string {
  return randomBytes(18).toString("base64url");
}
