"use strict";
// BMI's own files of a descriptor set written by `buf build` (source info, so comments, included).
const fs = require("node:fs");
const path = require("node:path");
const { readComments, TAG } = require("./comments");
const { accessOf } = require("./access");

const paths = [path.join(__dirname, "..", "..", "proto")];
const { fromBinary } = require(require.resolve("@bufbuild/protobuf", { paths }));
const { FileDescriptorSetSchema } = require(require.resolve("@bufbuild/protobuf/wkt", { paths }));

/** Services first, in the order a caller meets them; shared messages and events last. */
const ORDER = ["orchestrator", "image", "target", "boot", "haas", "common", "events"];
const order = (f) => {
  const i = ORDER.indexOf(f.name.split("/")[1] ?? "");
  return i < 0 ? ORDER.length : i;
};

function loadFiles(binpb) {
  const set = fromBinary(FileDescriptorSetSchema, fs.readFileSync(binpb));
  return set.file.filter((f) => f.name.startsWith("bmi/")).sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
}

/** Every RPC's access rule as its comment states it: [{ service: "bmi.image.v1.ImageService", method, access }]. */
function accessRules(binpb) {
  return loadFiles(binpb).flatMap((f) => {
    const comment = readComments(f);
    return f.service.flatMap((s, i) => s.method.map((m, j) => ({
      service: `${f.package}.${s.name}`, method: m.name, access: accessOf(comment([TAG.service, i, TAG.method, j])).access,
    })));
  });
}

module.exports = { loadFiles, accessRules };
