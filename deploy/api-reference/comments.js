"use strict";
// The comments of one .proto file, by the descriptor path of what they document (SourceCodeInfo.Location.path:
// 4 = message_type, 5 = enum_type, 6 = service; within a message 2 = field, 3 = nested_type, 4 = enum_type,
// 8 = oneof_decl; within an enum 2 = value; within a service 2 = method; 2 alone = the package statement).
const TAG = { message: 4, enum: 5, service: 6, field: 2, nested: 3, nestedEnum: 4, oneof: 8, value: 2, method: 2, package: 2 };

/** A lookup from a descriptor path to its comment text (leading, else trailing; "" when there is none). */
function readComments(file) {
  const byPath = new Map();
  for (const loc of file.sourceCodeInfo?.location ?? []) {
    byPath.set(loc.path.join(","), loc);
  }
  const text = (p) => {
    const loc = byPath.get(p.join(","));
    return clean(loc?.leadingComments || loc?.trailingComments || "");
  };
  /** The comment above `package` plus any detached ones before it: a file's own description. */
  text.file = () => {
    const loc = byPath.get(String(TAG.package));
    return [...(loc?.leadingDetachedComments ?? []), loc?.leadingComments ?? ""].map(clean).filter(Boolean).join("\n\n");
  };
  return text;
}

/** protoc keeps the space after "//" on every line; drop one, keep deeper indentation (tables, examples). */
function clean(raw) {
  return raw.replace(/\n$/, "").split("\n").map((l) => l.replace(/^ /, "")).join("\n").trim();
}

module.exports = { readComments, TAG };
