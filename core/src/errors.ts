/** Stable error codes; the HTTP status for each is decided once, in STATUS_BY_CODE. */
export type ErrorCode =
  | 'INVALID_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'LOCKED'
  | 'RATE_LIMITED'
  | 'CSRF'
  | 'PASSWORD_CHANGE_REQUIRED'
  | 'UNAVAILABLE'
  | 'INTERNAL'

export const STATUS_BY_CODE = {
  INVALID_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  LOCKED: 423,
  RATE_LIMITED: 429,
  CSRF: 403,
  /** a session whose initial or reset password is not changed yet: only sign-out and the change */
  PASSWORD_CHANGE_REQUIRED: 403,
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>

/** The only error domain code throws on purpose. Its message is safe to show to the caller. */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'AppError'
    this.code = code
    this.details = details
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`)
