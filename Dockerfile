# Strata server image. Runs TypeScript directly with tsx (a runtime dependency), no build step.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY tsconfig.json ./
USER node
EXPOSE 4000
CMD ["node", "bin/strata.js", "serve"]
