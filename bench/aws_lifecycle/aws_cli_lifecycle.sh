#!/usr/bin/env bash
# The baseline of bench/aws_lifecycle: the EC2 calls of a 4-instance `labctl up` + `down`
# (dedicated network), made the way a bash harness would, one `aws` CLI process per call.
# Debian's /usr/bin/aws (its botocore matches the fake's model). Needs AWS_ENDPOINT_URL_EC2 (the fake) and dummy credentials in the environment.
set -euo pipefail
run_id="${1:?usage: aws_cli_lifecycle.sh RUN_ID}"
ec2() { /usr/bin/aws ec2 --region us-east-1 --endpoint-url "$AWS_ENDPOINT_URL_EC2" --output text "$@"; }
tags() {
  printf 'ResourceType=%s,Tags=[{Key=routerd.cloudedge.run_id,Value=%s},{Key=routerd.cloudedge.owner,Value=bench},{Key=routerd.cloudedge.ttl_expires_at,Value=2099-01-01T00:00:00Z},{Key=routerd.cloudedge.provider,Value=aws},{Key=routerd.cloudedge.purpose,Value=bench},{Key=Name,Value=%s}]' \
    "$1" "$run_id" "${2:-$run_id}"
}

image=$(ec2 describe-images --owners amazon --filters Name=name,Values='al2023-ami-2023.*-x86_64' \
  Name=state,Values=available --query 'sort_by(Images,&CreationDate)[-1].ImageId')
vpc=$(ec2 create-vpc --cidr-block 10.90.0.0/16 --tag-specifications "$(tags vpc)" --query Vpc.VpcId)
subnet=$(ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.90.1.0/24 \
  --tag-specifications "$(tags subnet)" --query Subnet.SubnetId)
igw=$(ec2 create-internet-gateway --tag-specifications "$(tags internet-gateway)" \
  --query InternetGateway.InternetGatewayId)
ec2 attach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc" >/dev/null
rtb=$(ec2 create-route-table --vpc-id "$vpc" --tag-specifications "$(tags route-table)" \
  --query RouteTable.RouteTableId)
ec2 create-route --route-table-id "$rtb" --destination-cidr-block 0.0.0.0/0 --gateway-id "$igw" >/dev/null
assoc=$(ec2 associate-route-table --route-table-id "$rtb" --subnet-id "$subnet" --query AssociationId)
key_file=$(mktemp)
ec2 create-key-pair --key-name "bench-$run_id" --key-type ed25519 \
  --tag-specifications "$(tags key-pair)" --query KeyMaterial >"$key_file"
rm -f "$key_file"
sg=$(ec2 create-security-group --group-name "bench-$run_id" --description "bench $run_id" \
  --vpc-id "$vpc" --tag-specifications "$(tags security-group)" --query GroupId)
ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 22 \
  --cidr 198.51.100.0/24 >/dev/null
for node in router-a router-b client-a client-b; do
  ec2 run-instances --image-id "$image" --instance-type t3.micro --count 1 \
    --key-name "bench-$run_id" --client-token "bench-$run_id-$node" \
    --network-interfaces "DeviceIndex=0,SubnetId=$subnet,Groups=$sg,AssociatePublicIpAddress=true" \
    --tag-specifications "$(tags instance "$node")" "$(tags volume "$node")" \
    "$(tags network-interface "$node")" --query 'Instances[0].InstanceId' >/dev/null
done
filter="Name=tag:routerd.cloudedge.run_id,Values=$run_id"
states() { ec2 describe-instances --filters "$filter" --query 'Reservations[].Instances[].State.Name'; }
until [ "$(states | tr '\t' '\n' | grep -vc '^running$' || true)" = 0 ]; do sleep 0.1; done
ids=$(ec2 describe-instances --filters "$filter" --query 'Reservations[].Instances[].InstanceId')

# down
# shellcheck disable=SC2086
ec2 terminate-instances --instance-ids $ids >/dev/null
until [ "$(states | tr '\t' '\n' | grep -vc '^terminated$' || true)" = 0 ]; do sleep 0.1; done
ec2 delete-security-group --group-id "$sg" >/dev/null
ec2 delete-key-pair --key-name "bench-$run_id" >/dev/null
ec2 disassociate-route-table --association-id "$assoc" >/dev/null
ec2 delete-route-table --route-table-id "$rtb" >/dev/null
ec2 detach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc" >/dev/null
ec2 delete-internet-gateway --internet-gateway-id "$igw" >/dev/null
ec2 delete-subnet --subnet-id "$subnet" >/dev/null
ec2 delete-vpc --vpc-id "$vpc" >/dev/null
ec2 describe-instances --filters "$filter" Name=instance-state-name,Values=pending,running \
  --query 'length(Reservations)' >/dev/null
