# Local stand-in for the public eclipse-temurin:25-jre image, for machines without an image
# registry: the Java 25 runtime that scripts/test-compose links (jlink) from the JDK 25 that
# bin/jdk25.sh finds, on the Debian base it imports, at the same place as in Temurin's images
# (JAVA_HOME=/opt/java/openjdk, java on the PATH). The build context is a directory with that
# runtime in jre/. OpenSSL 3 (libssl3, openssl), curl and the CA certificates are installed here,
# so the project's Dockerfile finds them and needs no network.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY jre/ /opt/java/openjdk/
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=/opt/java/openjdk/bin:$PATH
RUN java -version
CMD ["java", "-version"]
