import { ArnFormat, type RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { Subscriber, SubscriberKind } from './context-settings';
import { alertFilterPolicy } from './subscription-filters';

export interface SlackChannel {
  /** Slack workspace id (T...), from the Amazon Q Developer console after authorising the workspace. */
  readonly workspaceId: string;
  /** Slack channel id (C...). */
  readonly channelId: string;
}

export interface TeamsChannel {
  readonly tenantId: string;
  readonly teamId: string;
  readonly channelId: string;
}

/**
 * The alert and alarm topics under one customer key, their subscribers and the chat channels. A part of
 * MacieAlerts: its resources are made in the construct's own scope, so their logical ids stay what deployed
 * stacks have.
 */
export class AlertTopics {
  readonly topicKey: kms.Key;
  /** Alerts from the handlers (MessageStructure json, with message attributes for filtering). */
  readonly alertTopic: sns.Topic;
  /**
   * CloudWatch alarms on the pipeline. Separate from alertTopic because alarm notifications carry no message
   * attributes, and SNS filter policies (even `exists: false`) never match a message without attributes.
   */
  readonly alarmTopic: sns.Topic;

  constructor(
    private readonly owner: Construct,
    removalPolicy: RemovalPolicy,
  ) {
    const stack = Stack.of(owner);
    // One customer key, usable by CloudWatch for alarm notifications.
    this.topicKey = new kms.Key(owner, 'TopicKey', {
      description: 'Encrypts the Macie alerts topics',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.alertTopic = new sns.Topic(owner, 'AlertTopic', { displayName: 'Macie alerts', masterKey: this.topicKey, enforceSSL: true });
    this.alarmTopic = new sns.Topic(owner, 'AlarmTopic', { displayName: 'Macie alerts pipeline alarms', masterKey: this.topicKey, enforceSSL: true });
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
  }

  /** sns:Publish on the alert topic and the two key actions SNS needs to encrypt the message (no wildcard). */
  grantPublishAlerts(role: iam.Role): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.alertTopic.topicArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.topicKey.keyArn] }));
  }

  /** Filtered on the alert topic (the subscriber's severity and categories), unfiltered on the alarm topic. */
  subscribe(kind: SubscriberKind, subscriber: Subscriber): void {
    const json = alertFilterPolicy(subscriber, kind);
    const filterPolicy = json ? Object.fromEntries(Object.entries(json).map(([k, v]) => [k, new sns.SubscriptionFilter(v)])) : undefined;
    const make = (options: { filterPolicy?: Record<string, sns.SubscriptionFilter> }): sns.ITopicSubscription =>
      kind === 'email'
        ? new subs.EmailSubscription(subscriber.endpoint, options)
        : kind === 'sms'
          ? new subs.SmsSubscription(subscriber.endpoint, options)
          : new subs.UrlSubscription(subscriber.endpoint, { ...options, protocol: sns.SubscriptionProtocol.HTTPS });
    this.alertTopic.addSubscription(make(filterPolicy ? { filterPolicy } : {}));
    this.alarmTopic.addSubscription(make({}));
  }

  /** Amazon Q Developer in chat applications on both topics, notifications only. */
  chat(slack: SlackChannel | undefined, teams: TeamsChannel | undefined): void {
    const stack = Stack.of(this.owner);
    // Notifications only: the channel role may do nothing, and the guardrail caps channel members at nothing.
    const role = new iam.Role(this.owner, 'ChatRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'Amazon Q Developer in chat applications: posts Macie alerts, no other permissions',
    });
    const guardrail = new iam.ManagedPolicy(this.owner, 'ChatGuardrail', {
      description: 'Caps what chat channel members can do through Amazon Q Developer: nothing (notifications only)',
      statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] })],
    });
    const topics = [this.alertTopic, this.alarmTopic];
    const baseName = Token.isUnresolved(stack.stackName) ? 'MacieAlerts' : stack.stackName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 100);
    if (slack) {
      new chatbot.SlackChannelConfiguration(this.owner, 'SlackChannel', {
        slackChannelConfigurationName: `${baseName}-slack`,
        slackWorkspaceId: slack.workspaceId,
        slackChannelId: slack.channelId,
        role,
        guardrailPolicies: [guardrail],
        notificationTopics: topics,
        loggingLevel: chatbot.LoggingLevel.ERROR,
      });
    }
    if (teams) {
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(this.owner, 'TeamsChannel', {
        configurationName: `${baseName}-teams`,
        iamRoleArn: role.roleArn,
        teamsTenantId: teams.tenantId,
        teamId: teams.teamId,
        teamsChannelId: teams.channelId,
        guardrailPolicies: [guardrail.managedPolicyArn],
        snsTopicArns: topics.map((t) => t.topicArn),
        loggingLevel: 'ERROR',
      });
    }
  }
}
