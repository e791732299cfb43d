throw new Error('the stage tests run without DynamoDB Local (jest.stages.config.js): test a stage through its inputs, not through the table');
