export { appendContactCentre, ConfigContendedError } from "./apply.js";
export { Checker, type Fields, join as joinPath } from "./checker.js";
export * from "./errors.js";
export * from "./load.js";
export { GROUP_FIELDS, SECTIONS as CONTACT_CENTRE_SECTIONS } from "./schema.js";
