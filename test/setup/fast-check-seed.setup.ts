import fc from "fast-check";
import { inject } from "vitest";
import "./fast-check-seed.global.js";

// Every fc.assert/fc.check in this worker starts from the run's seed (see fast-check-seed.global.ts).
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: inject("fcSeed") });
