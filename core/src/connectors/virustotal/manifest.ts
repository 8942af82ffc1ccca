import { z } from 'zod'
import type { Manifest } from '../types.ts'

export const ZVirusTotalSettings = z.strictObject({
  /** the API's origin; only changed for a private mirror or a test peer */
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .default('https://www.virustotal.com'),
})

export const manifest = {
  kind: 'virustotal',
  title: 'VirusTotal',
  description: "Looks IPs, domains, URLs and file hashes up with your organisation's VirusTotal API v3 key.",
  capabilities: ['intel.enrich'],
  settings: ZVirusTotalSettings,
  secrets: [{ name: 'apiKey', label: 'API key (64 hexadecimal characters)', isRequired: true }],
  docs: 'https://docs.virustotal.com/reference/overview',
} as const satisfies Manifest<typeof ZVirusTotalSettings>
