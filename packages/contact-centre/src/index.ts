export { appendContactCentre, ConfigContendedError } from "./apply.js";
export * from "./errors.js";
// The zod building blocks of the file's own words, for the other sections that ride in the same file (the
// simulator's `traffic`).
export {
  byShape,
  count,
  describe,
  join as joinPath,
  list,
  mapping,
  type Problem,
  read,
  readItem,
  text,
} from "./fields.js";
export * from "./load.js";
// Flows and applets in the file's own words, for what-if variants that change a recorded configuration's flows.
export {
  GROUP_FIELDS,
  readApplet as readFlowApplet,
  readFlows as readFlowsSection,
  SECTIONS as CONTACT_CENTRE_SECTIONS,
} from "./schema.js";
