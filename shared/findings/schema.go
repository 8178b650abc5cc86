package findings

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Keys of the table and its GSIs (the CDK stack declares the same).
var (
	TableKeys = [2]string{"pk", "sk"}
	IndexKeys = map[string][2]string{
		IndexByPackage:  {"pkg", "fnv"},
		IndexByAdvisory: {"adv", "fnv"},
		IndexBySeverity: {"sev", "since"},
		IndexByLayer:    {"lyr", "fnv"},
	}
	// Indexes in the order the table declares them.
	Indexes = []string{IndexByPackage, IndexByAdvisory, IndexBySeverity, IndexByLayer}
)

// CreateTableInput is the table's definition, on demand, every GSI
// projecting all attributes (a query answers without a second read).
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
		KeySchema: keySchema(TableKeys)}
	attrs := map[string]bool{}
	for _, k := range TableKeys {
		attrs[k] = true
	}
	for _, name := range Indexes {
		keys := IndexKeys[name]
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{IndexName: aws.String(name),
			KeySchema: keySchema(keys), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}})
		for _, k := range keys {
			attrs[k] = true
		}
	}
	for _, k := range []string{"pk", "sk", "pkg", "fnv", "adv", "sev", "since", "lyr"} {
		if attrs[k] {
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(k), AttributeType: types.ScalarAttributeTypeS})
		}
	}
	return in
}

func keySchema(k [2]string) []types.KeySchemaElement {
	return []types.KeySchemaElement{{AttributeName: aws.String(k[0]), KeyType: types.KeyTypeHash}, {AttributeName: aws.String(k[1]), KeyType: types.KeyTypeRange}}
}
