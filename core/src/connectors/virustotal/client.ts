import type { z } from 'zod'
import { ConnectorError } from '../errors.ts'
import { throwForStatus } from '../http.ts'
import type { CallContext, Connector, IntelEnrich } from '../types.ts'
import { manifest, type ZVirusTotalSettings } from './manifest.ts'

type Observable = Parameters<IntelEnrich['lookup']>[0]
/** https://docs.virustotal.com/reference/ip-info (and domain-info, url-info, file-info) */
type VtObject = { data?: { attributes?: { last_analysis_stats?: Record<string, number> } } }

const PATHS: Record<Observable['type'], (v: string) => string> = {
  ip: (v) => `/api/v3/ip_addresses/${encodeURIComponent(v)}`,
  domain: (v) => `/api/v3/domains/${encodeURIComponent(v)}`,
  url: (v) => `/api/v3/urls/${Buffer.from(v).toString('base64url')}`,
  hash: (v) => `/api/v3/files/${encodeURIComponent(v)}`,
}

export class VirusTotalConnector implements Connector, IntelEnrich {
  readonly manifest = manifest
  readonly #settings: z.infer<typeof ZVirusTotalSettings>
  readonly #apiKey: string

  constructor(settings: z.infer<typeof ZVirusTotalSettings>, secrets: Record<string, string>) {
    if (!secrets.apiKey) throw new ConnectorError('auth', 'virustotal: no API key is stored')
    this.#settings = settings
    this.#apiKey = secrets.apiKey
  }

  /** The verdict from the last analysis' engine counts; `unknown` when VirusTotal has never seen it. */
  async lookup(observable: Observable, ctx: CallContext) {
    const res = await ctx.http.request(new URL(PATHS[observable.type](observable.value), this.#settings.baseUrl).href, {
      headers: { 'x-apikey': this.#apiKey, accept: 'application/json' },
      signal: ctx.signal,
    })
    if (res.status === 404) return { verdict: 'unknown' as const, detail: {} }
    throwForStatus('virustotal', res)
    const stats = res.json<VtObject>().data?.attributes?.last_analysis_stats ?? {}
    const verdict =
      (stats.malicious ?? 0) > 0
        ? ('malicious' as const)
        : (stats.suspicious ?? 0) > 0
          ? ('suspicious' as const)
          : (stats.harmless ?? 0) > 0
            ? ('harmless' as const)
            : ('unknown' as const)
    return { verdict, detail: { stats } }
  }

  /** One real lookup (a well-known public resolver's address) proves the key and the quota. */
  async test(ctx: CallContext) {
    await this.lookup({ type: 'ip', value: '8.8.8.8' }, ctx)
    return { message: 'the API key was accepted' }
  }
}
