import { z } from 'zod'
import type { DbOrTx } from '../db/client.ts'
import { readSetting } from './settings-store.ts'

/** The outbound HTTP proxy for every connector and feed (settings key `proxy`); empty url: direct. */
export const ZProxy = z.object({ url: z.string().max(2000).default(''), noProxy: z.string().max(2000).default('') })
export const PROXY_KEY = 'proxy'

export const readProxySettings = (db: DbOrTx) => readSetting(db, PROXY_KEY, ZProxy)
