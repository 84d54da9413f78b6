# nginx from Debian's packages, balancing the API replicas that deploy/container.py starts (`replicas`); its
# configuration (the replicas' addresses) is generated and mounted at /etc/facemask/nginx.conf.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends nginx && rm -rf /var/lib/apt/lists/*
CMD ["nginx", "-c", "/etc/facemask/nginx.conf", "-g", "daemon off;"]
