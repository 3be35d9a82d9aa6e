/**
 * `${env:NAME}` and `${var}` substitution in configuration strings.
 *
 * One pass per string: a substituted value is never scanned again, so an
 * environment variable or a var that contains "${…}" stays literal text.
 * `$${` writes a literal "${". Substitution happens inside one string, and
 * that string is one ffmpeg argument: fragcast never runs a shell, so a
 * value with spaces or quotes cannot become extra arguments.
 */

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One use of an environment variable: the redactor shows `${env:NAME}` in place of the value. */
export interface EnvUse {
  readonly name: string;
  readonly value: string;
}

export interface InterpolateScope {
  readonly env: NodeJS.ProcessEnv;
  /** Variables of the stream; undefined where variables are not substituted. */
  readonly vars?: ReadonlyMap<string, string> | undefined;
  /** Called for each environment variable used. */
  readonly onEnv: (use: EnvUse) => void;
  /** Called for each variable used. */
  readonly onVar?: (name: string) => void;
}

/** Returns the substituted text, or the problems found (each a sentence). */
export function interpolate(text: string, scope: InterpolateScope): { text: string; problems: string[] } {
  const problems: string[] = [];
  const out = text.replace(REFERENCE, (whole, inner: string | undefined) => {
    if (inner === undefined) return '${';
    if (inner.startsWith('env:')) {
      const name = inner.slice(4);
      if (!ENV_NAME.test(name)) {
        problems.push(`"${whole}" is not a valid environment variable reference (use \${env:NAME} with letters, digits and "_")`);
        return whole;
      }
      const value = scope.env[name];
      if (value === undefined) {
        problems.push(`environment variable ${name} is not set`);
        return whole;
      }
      scope.onEnv({ name, value });
      return value;
    }
    if (!VAR_NAME.test(inner)) {
      problems.push(`"${whole}" is not a valid reference: use \${name} for a variable, \${env:NAME} for the environment, $\${ for a literal "\${"`);
      return whole;
    }
    if (!scope.vars) {
      problems.push(`variable \${${inner}} cannot be used here: variables are filled only in a stream's source (use \${env:NAME} for the environment, $\${ for a literal "\${")`);
      return whole;
    }
    const value = scope.vars.get(inner);
    if (value === undefined) {
      const known = [...scope.vars.keys()];
      problems.push(`variable \${${inner}} is not defined (${known.length ? `defined: ${known.join(', ')}` : 'the stream has no vars'})`);
      return whole;
    }
    scope.onVar?.(inner);
    return value;
  });
  return { text: out, problems };
}
