/**
 * Field parsers for environment variables. Each returns the parsed value or throws a one-line problem; `load`
 * collects every problem before giving up, so an operator fixes a bad config in one round.
 */
export interface Field<T> {
  readonly env: string;
  readonly help: string;
  parse(raw: string | undefined): T;
}

type Opts<T> = { default?: T; help?: string };

function field<T>(env: string, opts: Opts<T>, convert: (raw: string) => T): Field<T> {
  return {
    env,
    help: opts.help ?? "",
    parse(raw) {
      if (raw === undefined || raw === "") {
        if (opts.default !== undefined) return opts.default;
        throw new Error(`${env} is required${opts.help ? ` (${opts.help})` : ""}`);
      }
      return convert(raw);
    },
  };
}

export function str(env: string, opts: Opts<string> = {}): Field<string> {
  return field(env, opts, (raw) => raw);
}

/** The path of a file, empty (the default) when there is none: certificates, CAs, password and users files. */
export function optionalFile(env: string, help: string): Field<string> {
  return str(env, { default: "", help });
}

export function int(env: string, opts: Opts<number> & { min?: number; max?: number } = {}): Field<number> {
  return field(env, opts, (raw) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new Error(`${env}=${raw} is not an integer`);
    if (opts.min !== undefined && n < opts.min) throw new Error(`${env}=${raw} is below ${opts.min}`);
    if (opts.max !== undefined && n > opts.max) throw new Error(`${env}=${raw} is above ${opts.max}`);
    return n;
  });
}

export function bool(env: string, opts: Opts<boolean> = {}): Field<boolean> {
  return field(env, opts, (raw) => {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error(`${env}=${raw} is not a boolean (true/false)`);
  });
}

export function oneOf<const T extends string>(env: string, values: readonly T[], opts: Opts<T> = {}): Field<T> {
  return field(env, opts, (raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new Error(`${env}=${raw} must be one of ${values.join(", ")}`);
    return raw as T;
  });
}

/** host:port; an empty host means all interfaces. */
export function address(env: string, opts: Opts<string> = {}): Field<string> {
  return field(env, opts, (raw) => {
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(raw);
    if (!m || Number(m[2]) > 65535) throw new Error(`${env}=${raw} is not host:port`);
    return m[1] === "" ? `0.0.0.0:${m[2]}` : raw;
  });
}

export function url(env: string, protocols: readonly string[], opts: Opts<string> = {}): Field<string> {
  return field(env, opts, (raw) => {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new Error(`${env}=${raw} is not a URL`);
    }
    if (!protocols.includes(u.protocol.replace(/:$/, ""))) {
      throw new Error(`${env}=${raw} must use ${protocols.join(" or ")}`);
    }
    return raw;
  });
}

/** host:port items, comma separated (a host is required). */
export function addresses(env: string, opts: Opts<string[]> = {}): Field<string[]> {
  return field(env, opts, (raw) => {
    const items = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    for (const item of items) {
      const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
      if (!m || Number(m[2]) > 65535) throw new Error(`${env}: ${item} is not host:port`);
    }
    return items;
  });
}

/** Comma separated, empty items dropped. */
export function list(env: string, opts: Opts<string[]> = {}): Field<string[]> {
  return field(env, opts, (raw) => raw.split(",").map((s) => s.trim()).filter((s) => s !== ""));
}
