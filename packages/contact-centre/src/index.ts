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
export { GROUP_FIELDS, SECTIONS as CONTACT_CENTRE_SECTIONS } from "./schema.js";
