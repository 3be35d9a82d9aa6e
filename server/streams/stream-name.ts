/** Stream names: 1-64 characters of a-z, 0-9, "_" and "-". They appear in URLs, logs and file names, so nothing else is allowed. */
export const STREAM_NAME_PATTERN = /^[a-z0-9_-]{1,64}$/;

export function isValidStreamName(name: string): boolean {
  return STREAM_NAME_PATTERN.test(name);
}
