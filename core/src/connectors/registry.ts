import type { z } from 'zod'
import { AppError } from '../errors.ts'
import type { Connector, Manifest } from './types.ts'

type Factory = (settings: unknown, secrets: Record<string, string>) => Connector
const kinds = new Map<string, { manifest: Manifest; create: Factory }>()

/** Registers a connector kind (from its folder's index.ts). @throws when the kind is registered twice */
export const registerConnector = <C extends z.ZodType>(
  manifest: Manifest<C>,
  create: (settings: z.infer<C>, secrets: Record<string, string>) => Connector,
) => {
  if (kinds.has(manifest.kind)) throw new Error(`connector ${manifest.kind} registered twice`)
  kinds.set(manifest.kind, { manifest, create: create as Factory })
}

/** The manifest of a kind. @throws AppError INVALID_REQUEST for an unknown kind */
export const manifestOf = (kind: string): Manifest => {
  const entry = kinds.get(kind)
  if (!entry)
    throw new AppError(
      'INVALID_REQUEST',
      `kind: unknown connector kind; expected one of ${[...kinds.keys()].join(', ')}`,
    )
  return entry.manifest
}

/** Builds an instance from stored settings (validated again with the kind's schema) and secrets. */
export const instantiateConnector = (kind: string, settings: unknown, secrets: Record<string, string>): Connector => {
  const manifest = manifestOf(kind)
  return kinds.get(kind)!.create(manifest.settings.parse(settings), secrets)
}

export const listManifests = (): Manifest[] => [...kinds.values()].map((e) => e.manifest)
