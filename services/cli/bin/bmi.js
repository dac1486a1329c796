#!/usr/bin/env node
// Committed so that `npm ci` links `bmi` before anything is built (npm links only a bin that exists);
// the build writes what it loads.
require("../dist/main.js");
