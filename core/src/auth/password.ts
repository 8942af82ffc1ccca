import { hash, verify } from '@node-rs/argon2'
import { AppError } from '../errors.ts'

// algorithm 2 = Argon2id (a const enum in the typings, which verbatimModuleSyntax cannot import)
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }

export const MIN_PASSWORD_LENGTH = 12

/** @throws AppError INVALID_REQUEST when the password is too weak to accept. */
export const assertPasswordAcceptable = (password: string) => {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new AppError('INVALID_REQUEST', `password: must be at least ${MIN_PASSWORD_LENGTH} characters`)
  if (password.length > 1024) throw new AppError('INVALID_REQUEST', 'password: must be at most 1024 characters')
}

export const hashPassword = (password: string) => hash(password, OPTIONS)

export const verifyPassword = async (stored: string | null, password: string) => {
  if (!stored) {
    // Same work as a real check, so unknown users cannot be told apart by timing.
    await hash(password, OPTIONS)
    return false
  }
  try {
    return await verify(stored, password)
  } catch {
    return false
  }
}
