import { eventStoreConformance } from "./conformance.js";
import { pgliteFactory } from "./support.js";

eventStoreConformance(() => pgliteFactory());
