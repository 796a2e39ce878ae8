import { eventStoreConformance } from "./conformance.js";
import { pgFactory } from "./support.js";

eventStoreConformance(() => pgFactory());
