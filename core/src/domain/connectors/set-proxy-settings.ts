import type { Db } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { PROXY_KEY, ZProxy } from '../../settings/proxy.ts'
import { writeSetting } from '../../settings/settings-store.ts'
import { parseOr400 } from '../../validation/parse-input.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Sets the outbound proxy every connector's HTTP client uses (empty url: connect directly).
 * Audited. @throws AppError FORBIDDEN without system.manage, INVALID_REQUEST naming the field
 */
export const setProxySettings = async (db: Db, actor: Actor, input: unknown) => {
  assertCan(actor, 'system.manage')
  const proxy = parseOr400(ZProxy, input, 'proxy', 'proxy')
  if (proxy.url && !/^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(proxy.url))
    throw new AppError('INVALID_REQUEST', 'proxyUrl: expected http://host:port')
  await db.transaction(async (tx) => {
    await writeSetting(tx, PROXY_KEY, proxy, actor.userId)
    await appendAudit(tx, actor, { action: 'system.proxy', objectType: 'setting', objectId: PROXY_KEY, after: proxy })
  })
  return proxy
}
