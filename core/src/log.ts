import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino'

export type Logger = PinoLogger

export type RecentError = { at: string; level: 'error' | 'fatal'; message: string; error?: string; requestId?: string }

const RECENT_MAX = 50
const recent: RecentError[] = []

/**
 * The last errors this process logged, newest first, for the system page. Diagnostics only (the
 * journal keeps the full log): just the message, the error's first line cut before any query
 * parameters, and the request id.
 */
export const recentErrors = (): RecentError[] => [...recent].reverse()

const remember = (level: number, args: unknown[], bindings: Record<string, unknown>) => {
  const [first, second] = args
  const obj = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {}
  const message = String(typeof first === 'string' ? first : (second ?? '')).slice(0, 300)
  const err = obj.err instanceof Error ? obj.err : undefined
  recent.push({
    at: new Date().toISOString(),
    level: level >= 60 ? 'fatal' : 'error',
    message,
    error: err ? `${err.name}: ${withoutParams(err.message).split('\n')[0]!.slice(0, 300)}` : undefined,
    requestId: typeof bindings.requestId === 'string' ? bindings.requestId : undefined,
  })
  if (recent.length > RECENT_MAX) recent.shift()
}

/**
 * An error's message without the values drizzle appends to a failed statement ("Failed query: …
 * \nparams: …"); the SQL text itself only holds placeholders and stays.
 */
export const withoutParams = (message: string) => {
  const at = message.indexOf('\nparams:')
  return at < 0 ? message : message.slice(0, at)
}

type DbError = Error & { code?: string; kind?: string; cause?: unknown; params?: unknown; parameters?: unknown }

/** The bound values an error (drizzle's `params`, postgres.js's `parameters`) or its cause carries. */
const boundValues = (err: unknown, depth = 0): string[] => {
  if (!(err instanceof Error) || depth > 3) return []
  const e = err as DbError
  const values = [e.params, e.parameters].flatMap((v) => (Array.isArray(v) ? v : []))
  return [
    ...values.map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))).filter((v) => v.length >= 4),
    ...boundValues(e.cause, depth + 1),
  ]
}

/**
 * What a log line keeps of an error: type, message, code, stack and the cause's message. Never
 * the driver's fields (`params`, `parameters`, `detail`, which quotes the conflicting key), the
 * params drizzle appends to its message, nor a bound value PostgreSQL quotes in its own message
 * (`invalid input syntax for type integer: "…"`), so no hash or secret reaches the journal.
 */
export const serializeError = (err: unknown): unknown => {
  if (!(err instanceof Error)) return err
  const e = err as DbError
  const values = boundValues(e)
  const clean = (text: string | undefined) =>
    text === undefined ? undefined : values.reduce((t, v) => t.replaceAll(v, '[param]'), withoutParams(text))
  return {
    type: e.name,
    message: clean(e.message),
    code: e.code,
    kind: e.kind,
    stack: clean(e.stack?.replace(e.message, withoutParams(e.message))),
    cause: e.cause instanceof Error ? clean(e.cause.message) : undefined,
  }
}

/** Structured JSON logs on stdout; secrets in well-known fields are redacted. */
export const createLogger = (level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger =>
  pino(
    {
      level,
      base: { service: 'clawback' },
      redact: {
        paths: [
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'req.headers.authorization',
          'req.headers.cookie',
          'token',
          '*.token',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        logMethod(args, method, level) {
          if (level >= 50) remember(level, args, this.bindings())
          return method.apply(this, args)
        },
      },
      // Errors from database drivers carry their whole client object: log only what helps, and
      // never the bound values of a failed statement (password and token hashes, member values).
      serializers: { err: serializeError },
    },
    destination ?? pino.destination(1),
  )
