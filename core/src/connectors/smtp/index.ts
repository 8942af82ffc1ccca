import { registerConnector } from '../registry.ts'
import { SmtpConnector } from './client.ts'
import { manifest } from './manifest.ts'

registerConnector(manifest, (settings, secrets) => new SmtpConnector(settings, secrets))
