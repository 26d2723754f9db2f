// Test environment: the SDK's Node 20 end-of-support notice is known and tracked (README, "Node versions"); keep test output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
