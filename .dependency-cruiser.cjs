// The boundaries between BMI's packages, checked by `npm run lint:deps` (part of `npm test`).
// A package is proto/, libs/<name>/, services/<name>/ or test/; each is reached only through its package.json
// "exports" (the compiler refuses other subpaths too), and dependencies point one way: services -> libs -> proto.
const fs = require("node:fs");
const path = require("node:path");

// Every file a workspace's package.json "exports" names (dist/index.js, and subpaths such as @bmi/grpc/client):
// the only files of a package that another may import.
const EXPORTED = ["libs", "services"].flatMap((group) => fs.readdirSync(path.join(__dirname, group)).flatMap((name) => {
  const file = path.join(__dirname, group, name, "package.json");
  if (!fs.existsSync(file)) return [];
  const exp = JSON.parse(fs.readFileSync(file, "utf8")).exports ?? {};
  return Object.values(exp).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e)))
    .map((f) => `^${group}/${name}/${f.replace(/^\.\//, "").replace(/\./g, "\\.")}$`);
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-deep-imports",
      comment: "Another package is imported by its name and what its \"exports\" offer, never a file inside it (`@bmi/testing/dist/x`, `../../libs/x/src/y`).",
      severity: "error",
      from: { path: "^(libs|services)/([^/]+)/" },
      to: {
        path: "^(libs|services|test)/[^/]+/",
        pathNot: ["^$1/$2/", "^(libs|services|test)/[^/]+/dist/index\\.(js|d\\.ts)$", ...EXPORTED],
      },
    },
    {
      name: "no-deep-imports-from-test",
      comment: "The same for the test workspace.",
      severity: "error",
      from: { path: "^test/" },
      to: { path: "^(libs|services)/[^/]+/", pathNot: ["^(libs|services)/[^/]+/dist/index\\.(js|d\\.ts)$", ...EXPORTED] },
    },
    {
      name: "no-service-to-service",
      comment: "A service talks to another over gRPC, never by importing its code.",
      severity: "error",
      from: { path: "^services/([^/]+)/" },
      to: { path: "^services/", pathNot: "^services/$1/" },
    },
    {
      name: "no-lib-to-service",
      comment: "Dependencies point one way: services -> libs -> proto; libs never import a service or the test workspace.",
      severity: "error",
      from: { path: "^(libs|proto)/" },
      to: { path: "^(services|test)/" },
    },
    {
      name: "no-service-to-test-workspace",
      comment: "A service's tests use @bmi/testing; the test workspace (cross-service tests, benches) builds every service.",
      severity: "error",
      from: { path: "^services/" },
      to: { path: "^test/" },
    },
    {
      name: "no-test-support-in-production",
      comment: "A package's test support (src/testkit/, and libs/testing) serves its tests only and is not shipped (deploy/Dockerfile drops dist/testkit and libs/testing): code that is neither a test nor test support never imports it.",
      severity: "error",
      from: { path: "^(libs|services)/[^/]+/src/", pathNot: ["\\.test\\.ts$", "^(libs|services)/[^/]+/src/testkit/", "^libs/testing/"] },
      to: { path: ["^(libs|services)/[^/]+/(src|dist)/testkit/", "^libs/testing/"] },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that resolves to nothing (a subpath a package's \"exports\" does not offer).",
      severity: "error",
      from: { path: "^(libs|services|test|proto)/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // The packages' sources are cruised; what they import from another package (its dist/) is a leaf.
    doNotFollow: { path: ["node_modules", "^(libs|services|test)/[^/]+/dist/", "^test/dist/", "^proto/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["require", "node", "default", "types"],
      extensions: [".ts", ".js", ".d.ts", ".json"],
    },
    combinedDependencies: false,
    preserveSymlinks: false,
  },
};
