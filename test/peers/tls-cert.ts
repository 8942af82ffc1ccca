import { generateKeyPairSync } from 'node:crypto'
import forge from 'node-forge'

/**
 * A self-signed certificate for the loopback HTTPS peers (127.0.0.1, ::1, localhost), made with
 * node-forge from a Node-generated RSA key. The client trusts it through the HTTP client's `ca`
 * option, exactly as an on-premises server's private CA would be trusted.
 */
export const selfSignedLoopbackCert = () => {
  const keyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString()
  const key = forge.pki.privateKeyFromPem(keyPem)
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  cert.serialNumber = `01${Date.now().toString(16)}`
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + 86_400_000)
  const subject = [{ name: 'commonName', value: 'clawback test peer' }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ])
  cert.sign(key, forge.md.sha256.create())
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) }
}
