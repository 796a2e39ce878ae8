// Certificates for TLS tests, made with openssl in a directory the caller owns: a CA, a server certificate
// for 127.0.0.1/localhost, a client certificate, and a client certificate from a second, untrusted CA.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificates {
  /** PEM file paths. */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Signed by a CA the server does not trust. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function makeTestCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const makeCa = (name: string) =>
    openssl(
      ...["req", "-x509", ...EC, "-days", "2", "-keyout", `${name}.key`, "-out", `${name}.pem`],
      ...["-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE"],
      ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    );
  const issue = (name: string, cn: string, caName: string, extensions: string) => {
    openssl("req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      ...["x509", "-req", "-in", `${name}.csr`, "-CA", `${caName}.pem`, "-CAkey", `${caName}.key`],
      ...["-CAcreateserial", "-days", "2", "-out", `${name}.pem`, "-extfile", `${name}.ext`],
    );
  };
  makeCa("ca");
  makeCa("stranger-ca");
  issue(
    "server",
    "localhost",
    "ca",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  issue("client", "ops", "ca", "extendedKeyUsage=clientAuth\n");
  issue("stranger", "ops", "stranger-ca", "extendedKeyUsage=clientAuth\n");
  const at = (f: string) => join(dir, f);
  return {
    ca: at("ca.pem"),
    serverCert: at("server.pem"),
    serverKey: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
    strangerCert: at("stranger.pem"),
    strangerKey: at("stranger.key"),
  };
}
