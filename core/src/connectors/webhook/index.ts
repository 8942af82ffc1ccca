import { registerConnector } from '../registry.ts'
import { WebhookConnector } from './client.ts'
import { manifest } from './manifest.ts'

registerConnector(manifest, (settings, secrets) => new WebhookConnector(settings, secrets))
