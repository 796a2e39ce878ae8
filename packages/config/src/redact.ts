/**
 * The URL with any password replaced by `***` (the user name stays: it helps to say who connected), safe
 * for logs and error messages. The one implementation: the bus, the event store and the CLI use it.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, url.endsWith("/") ? "/" : "");
  } catch {
    // Not a URL we can parse: mask anything that looks like the password of user:password@.
    return url.replace(/:[^:@/\s]*@/g, ":***@");
  }
}
