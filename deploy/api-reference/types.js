"use strict";
// Field and RPC types as Markdown: scalars by their .proto name, BMI's messages and enums as links to their anchors.
const path = require("node:path");

const paths = [path.join(__dirname, "..", "..", "proto")];
const { isFieldSet } = require(require.resolve("@bufbuild/protobuf", { paths }));
const { FieldDescriptorProtoSchema } = require(require.resolve("@bufbuild/protobuf/wkt", { paths }));

// FieldDescriptorProto.Type numbers.
const SCALARS = {
  1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32", 8: "bool", 9: "string",
  12: "bytes", 13: "uint32", 15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
};
const LABEL_REPEATED = 3;

const isMapEntry = (m) => m.options?.mapEntry === true;

/** A type name (".bmi.image.v1.Image") or a field of `owner`, as Markdown. */
function typeOf(file, fieldOrName, owner) {
  if (typeof fieldOrName === "string") return link(file, fieldOrName);
  const f = fieldOrName;
  const entry = f.typeName && owner?.nestedType.find((n) => isMapEntry(n) && f.typeName.endsWith(`.${owner.name}.${n.name}`));
  if (entry) return `map<${typeOf(file, entry.field[0], entry)}, ${typeOf(file, entry.field[1], entry)}>`;
  const base = f.typeName ? link(file, f.typeName) : SCALARS[f.type] ?? `type ${f.type}`;
  if (f.label === LABEL_REPEATED) return `repeated ${base}`;
  return f.proto3Optional ? `optional ${base}` : base;
}

/** The name of the oneof a field belongs to ("" for none; proto3 `optional` sits in a synthetic oneof: none). */
function oneofName(message, f) {
  if (f.proto3Optional || !isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex)) return "";
  return message.oneofDecl[f.oneofIndex]?.name ?? "";
}

function link(file, typeName) {
  const full = typeName.replace(/^\./, "");
  if (!full.startsWith("bmi.")) return `\`${full}\``;
  const shown = full.startsWith(`${file.package}.`) ? full.slice(file.package.length + 1) : full;
  return `[${shown}](#${full})`;
}

module.exports = { typeOf, oneofName, isMapEntry };
