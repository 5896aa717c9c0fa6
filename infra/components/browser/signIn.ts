import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { type AwsContext, serviceRole } from '../../iam.ts';
import type { StackConfig } from '../../stackConfigSchema.ts';

/** The settings the edge function reads from its auth.json (web/auth/config.ts). */
interface EdgeAuthSettings {
  issuer: string;
  clientId: string;
  logoutUrl?: string;
  origin: string;
}

export interface SignIn {
  /** The published version CloudFront runs on every viewer request. */
  edgeFunction: aws.lambda.Function;
  issuer: pulumi.Output<string>;
  userPool?: aws.cognito.UserPool;
}

/**
 * Who may open the browser: a Cognito user pool the stack creates (users added by an administrator only; no
 * self-sign-up) or the team's own OIDC provider, and the Lambda@Edge viewer-request function (web/edge.ts) that
 * checks every request against it. The function lives in us-east-1, as Lambda@Edge requires.
 */
export function signIn(
  name: string,
  args: { config: StackConfig; ctx: AwsContext; usEast1: aws.Provider },
  opts: pulumi.CustomResourceOptions,
): SignIn {
  const { config } = args;
  const origin = `https://${config.browserDomain}`;
  const provider =
    config.browserAuth === 'cognito'
      ? cognito(name, args, opts)
      : { issuer: pulumi.output(config.browserOidcIssuer), clientId: pulumi.output(config.browserOidcClientId) };
  const settings = pulumi
    .all([provider.issuer, provider.clientId, provider.logoutUrl ?? pulumi.output(undefined)])
    .apply(([issuer, clientId, logoutUrl]): EdgeAuthSettings => ({ issuer, clientId, logoutUrl, origin }));
  const edgeFunction = edgeAuthFunction(name, { ...args, settings }, opts);
  return { edgeFunction, issuer: provider.issuer, userPool: provider.userPool };
}

interface Provider {
  issuer: pulumi.Output<string>;
  clientId: pulumi.Output<string>;
  logoutUrl?: pulumi.Output<string>;
  userPool?: aws.cognito.UserPool;
}

/** A user pool for the team: administrators add users; email sign-in; TOTP MFA offered; a public PKCE client. */
function cognito(
  name: string,
  args: { config: StackConfig; ctx: AwsContext },
  opts: pulumi.CustomResourceOptions,
): Provider {
  const { config, ctx } = args;
  const origin = `https://${config.browserDomain}`;
  const userPool = new aws.cognito.UserPool(
    `${name}-users`,
    {
      adminCreateUserConfig: { allowAdminCreateUserOnly: true },
      usernameAttributes: ['email'],
      autoVerifiedAttributes: ['email'],
      passwordPolicy: {
        minimumLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireNumbers: true,
        requireSymbols: false,
        temporaryPasswordValidityDays: 3,
      },
      mfaConfiguration: 'OPTIONAL',
      softwareTokenMfaConfiguration: { enabled: true },
      accountRecoverySetting: { recoveryMechanisms: [{ name: 'verified_email', priority: 1 }] },
      deletionProtection: 'ACTIVE',
    },
    opts,
  );
  const domain = new aws.cognito.UserPoolDomain(
    `${name}-sign-in`,
    {
      userPoolId: userPool.id,
      domain: pulumi.interpolate`${pulumi.getProject()}-${pulumi.getStack()}-${ctx.accountId}`,
    },
    opts,
  );
  const client = new aws.cognito.UserPoolClient(
    `${name}-browser`,
    {
      userPoolId: userPool.id,
      generateSecret: false,
      allowedOauthFlowsUserPoolClient: true,
      allowedOauthFlows: ['code'],
      allowedOauthScopes: ['openid', 'email', 'profile'],
      supportedIdentityProviders: ['COGNITO'],
      callbackUrls: [`${origin}/auth/callback`],
      logoutUrls: [`${origin}/auth/signed-out`],
      // The session is the ID token: an hour, then the viewer signs in again (the pool's own session may skip the form).
      idTokenValidity: 60,
      accessTokenValidity: 60,
      refreshTokenValidity: 1,
      tokenValidityUnits: { idToken: 'minutes', accessToken: 'minutes', refreshToken: 'days' },
      explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      preventUserExistenceErrors: 'ENABLED',
      enableTokenRevocation: true,
    },
    opts,
  );
  const issuer = pulumi.interpolate`https://cognito-idp.${ctx.region}.amazonaws.com/${userPool.id}`;
  // Cognito's sign-out is not in its discovery document: its /logout ends the pool's session, then returns here.
  const logoutUrl = pulumi.interpolate`https://${domain.domain}.auth.${ctx.region}.amazoncognito.com/logout?client_id=${client.id}&logout_uri=${encodeURIComponent(`${origin}/auth/signed-out`)}`;
  return { issuer, clientId: client.id, logoutUrl, userPool };
}

/**
 * The viewer-request function: the bundle `npm run build:web` writes (browserEdgePath) plus its auth.json. No
 * environment variables (Lambda@Edge has none), x86_64 and at most 5 s (Lambda@Edge's viewer-request limits).
 */
function edgeAuthFunction(
  name: string,
  args: { config: StackConfig; ctx: AwsContext; usEast1: aws.Provider; settings: pulumi.Output<EdgeAuthSettings> },
  opts: pulumi.CustomResourceOptions,
): aws.lambda.Function {
  const edgeOpts = { ...opts, provider: args.usEast1 };
  const functionName = `${pulumi.getProject()}-${pulumi.getStack()}-sign-in`;
  const { role } = serviceRole(
    `${name}-sign-in`,
    {
      service: 'lambda.amazonaws.com',
      edge: true,
      accountId: args.ctx.accountId,
      description: 'image-catalogue browser sign-in (Lambda@Edge): write its logs',
      statements: [
        {
          Sid: 'WriteEdgeLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          // Lambda@Edge logs in the region of the edge that ran it, to /aws/lambda/us-east-1.<name>: CloudFront picks
          // the regions, so this one resource names every region.
          Resource: pulumi.interpolate`arn:${args.ctx.partition}:logs:*:${args.ctx.accountId}:log-group:/aws/lambda/us-east-1.${functionName}:*`,
        },
      ],
    },
    opts,
  );
  const dir = args.config.browserEdgePath;
  const code = args.settings.apply(
    (settings) =>
      new pulumi.asset.AssetArchive({
        // Built by `npm run build:web`; only read at deployment, never under the offline tests.
        'index.mjs': new pulumi.asset.FileAsset(`${dir}/index.mjs`),
        'auth.json': new pulumi.asset.StringAsset(JSON.stringify(settings)),
      }),
  );
  return new aws.lambda.Function(
    `${name}-sign-in`,
    {
      name: functionName,
      description: 'image-catalogue browser: sign-in checked on every viewer request',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      code,
      role: role.arn,
      memorySize: 128,
      timeout: 5,
      publish: true,
    },
    edgeOpts,
  );
}
