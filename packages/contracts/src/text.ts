/**
 * Whether a value holds a C0 control character or DEL (CR, LF, NUL...), `allowed` excepted. Such characters
 * never belong in an id, a name, a number or a URI: they could end a SIP header, a FreeSWITCH command or a
 * log line, and PostgreSQL's jsonb cannot store NUL. The one check the edges (decoders, admin API, SIP) share.
 */
export function hasControlCharacters(value: string, allowed = ""): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 || c === 0x7f) && !allowed.includes(value[i]!)) return true;
  }
  return false;
}
