# Pulse server image: the client and the server are built here, at image build time (scripts/build.mjs:
# Vite for client/dist, esbuild for dist/), so a container starts plain `node` on built JavaScript and
# compiles nothing at start.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs --force
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
EXPOSE 3000
USER node
CMD ["node", "--enable-source-maps", "dist/server/main.js"]
