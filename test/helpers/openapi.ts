/**
 * Checks JSON values against the schemas of docs/openapi.json: the subset of
 * JSON Schema that file uses (type, including type arrays with "null",
 * properties, required, additionalProperties, items, enum, oneOf, $ref).
 * Every object schema there says additionalProperties: false, so a field the
 * server sends but the document does not describe is an error too.
 */
import { readFileSync } from 'node:fs';
import { ROOT } from './fixtures.ts';

export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  oneOf?: Schema[];
};

export interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
}

export const openapi = JSON.parse(readFileSync(`${ROOT}docs/openapi.json`, 'utf8')) as OpenApi;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Problems found, as "path: what"; empty when the value matches. */
export function validate(value: unknown, schema: Schema, path = '$'): string[] {
  if (schema.$ref) return validate(value, openapi.components.schemas[schema.$ref.replace('#/components/schemas/', '')]!, path);
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((option) => validate(value, option, path).length === 0).length;
    return matching === 1 ? [] : [`${path}: matches ${matching} of the oneOf schemas`];
  }
  const problems: string[] = [];
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [`${path}: is ${actual}, documented as ${types.join(' or ')}`];
  }
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) problems.push(`${path}.${key}: missing`);
    for (const [key, child] of Object.entries(object)) {
      const property = schema.properties?.[key];
      if (property) problems.push(...validate(child, property, `${path}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${path}.${key}: not documented`);
      else if (typeof schema.additionalProperties === 'object') problems.push(...validate(child, schema.additionalProperties, `${path}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...validate(item, schema.items!, `${path}[${i}]`)));
  return problems;
}

/** The documented JSON schema of a response: `path` as in the document (`/api/streams/{name}`), `method` lower-case. */
export function responseSchema(path: string, method: string, status: number): Schema {
  const schema = openapi.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`docs/openapi.json documents no JSON ${status} answer for ${method.toUpperCase()} ${path}`);
  return schema;
}
