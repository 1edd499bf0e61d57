package io.tlssessioncache.netty;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Test certificates made with the openssl CLI: EC and RSA server certificates, a CA and a client certificate. */
final class TestPki {
    final Path dir;
    final Path ecCert;
    final Path ecKey;
    final Path rsaCert;
    final Path rsaKey;
    final Path caCert;
    final Path clientCert;
    final Path clientKey;
    final Path clientP12;

    private TestPki(Path dir) {
        this.dir = dir;
        ecCert = dir.resolve("ec.crt");
        ecKey = dir.resolve("ec.key");
        rsaCert = dir.resolve("rsa.crt");
        rsaKey = dir.resolve("rsa.key");
        caCert = dir.resolve("ca.crt");
        clientCert = dir.resolve("client.crt");
        clientKey = dir.resolve("client.key");
        clientP12 = dir.resolve("client.p12");
    }

    static TestPki create(Path dir) throws Exception {
        TestPki p = new TestPki(dir);
        String san = "subjectAltName=DNS:localhost,IP:127.0.0.1";
        p.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ec.key", "-out", "ec.crt", "-days", "2", "-subj", "/CN=localhost", "-addext", san);
        p.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", "rsa.key", "-out", "rsa.crt", "-days", "2", "-subj", "/CN=localhost", "-addext", san);
        p.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Test Client CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        p.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=test client");
        Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
        p.openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "client.crt", "-days", "2", "-extfile", "client.ext");
        p.openssl("pkcs12", "-export", "-in", "client.crt", "-inkey", "client.key", "-out", "client.p12",
                "-passout", "pass:changeit");
        return p;
    }

    private void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Processes.Result r = Processes.run(cmd, dir, "", Duration.ofSeconds(30));
        if (r.exitCode() != 0) {
            throw new IOException("openssl " + String.join(" ", args) + " failed: " + r.output());
        }
    }

    /** A JDK client context trusting {@code serverCert}, optionally presenting the test client certificate. */
    SSLContext jdkClient(Path serverCert, boolean withClientCert, String protocol) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        X509Certificate server = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(serverCert)));
        trust.setCertificateEntry("server", server);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (withClientCert) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(clientP12)) {
                ks.load(in, "changeit".toCharArray());
            }
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "changeit".toCharArray());
        }
        SSLContext ctx = SSLContext.getInstance(protocol);
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }
}
